// The words of this page, or of HTML fetched, without its scripts and styles.
(html => {
  const squash = text => (text || '').split(/\s+/).join(' ').trim();
  if (html === null) return squash(document.body ? document.body.innerText : '');
  const root = new DOMParser().parseFromString(html, 'text/html');
  if (!root.body) return '';
  root.body.querySelectorAll('script, style, noscript, template').forEach(n => n.remove());
  return squash(root.body.textContent);
})
