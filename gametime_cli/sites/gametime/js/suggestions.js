// The suggestions a name field's page shows under it: visible options of a list, each
// with its words and a selector that finds it again.
(field => {
  const input = document.querySelector(field);
  if (!input) return [];
  const candidates = document.querySelectorAll(
    '[role=option], li[data-user-id], .suggestions li, .ui-menu-item, ' +
    '.autocomplete-suggestion, .tt-suggestion');
  const found = [];
  candidates.forEach((el, index) => {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest('[hidden]')) return;
    const words = (el.innerText || el.textContent || '').split(/\s+/).join(' ').trim();
    if (!words) return;
    el.setAttribute('data-gametime-suggestion', String(index));
    found.push({words, selector: `[data-gametime-suggestion="${index}"]`});
  });
  return found;
})
