// The cancel page's buttons, each with its words and a selector that finds it again.
(() => {
  const found = [];
  const controls = document.querySelectorAll(
    'button, input[type=submit], input[type=button], a.button, a.btn, [role=button]');
  controls.forEach((el, index) => {
    const words = (el.innerText || el.value || el.getAttribute('aria-label') || '')
      .split(/\s+/).join(' ').trim();
    if (!words || el.disabled) return;
    el.setAttribute('data-gametime-choice', String(index));
    found.push({words, selector: `[data-gametime-choice="${index}"]`});
  });
  return found;
})
