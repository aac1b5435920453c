// The ids of the member's upcoming bookings on the home page's HTML: rows and cancel links.
(html => {
  const root = new DOMParser().parseFromString(html, 'text/html');
  const ids = new Set();
  for (const row of root.querySelectorAll('[data-booking-id]')) {
    ids.add(row.getAttribute('data-booking-id'));
  }
  for (const link of root.querySelectorAll('a[href]')) {
    const href = link.getAttribute('href') || '';
    if (!/cancel/i.test(href + ' ' + link.textContent)) continue;
    for (const part of href.split(/[/?&=#]/)) {
      if (/^[0-9]+$/.test(part)) ids.add(part);
    }
  }
  return Array.from(ids);
})
