// The page's own error text, or its first words: of this page, or of HTML fetched.
(html => {
  const root = html === null ? document : new DOMParser().parseFromString(html, 'text/html');
  for (const selector of ['.error', '.alert', '.message', 'h1', 'h2', 'body']) {
    const node = root.querySelector(selector);
    const text = node ? (node.innerText || node.textContent || '').split(/\s+/).join(' ').trim()
                      : '';
    if (text) return text.slice(0, 200);
  }
  return '';
})
