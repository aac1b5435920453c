// What the booking form still requires before the browser would send it: each invalid
// field (the browser's own check), with its label's words and a selector for it.
(selector => {
  const form = document.querySelector(selector);
  if (!form) return [];
  const wordsOf = el => {
    const label = (el.labels && el.labels[0]) || el.closest('label');
    const text = label ? label.innerText : (el.getAttribute('aria-label') || el.title || el.name);
    return (text || '').split(/\s+/).join(' ').trim();
  };
  const found = [];
  Array.from(form.elements).forEach((el, index) => {
    if (!el.willValidate || el.checkValidity()) return;
    el.setAttribute('data-gametime-required', String(index));
    found.push({selector: `[data-gametime-required="${index}"]`, words: wordsOf(el),
                box: el.type === 'checkbox', name: el.name || ''});
  });
  return found;
})
