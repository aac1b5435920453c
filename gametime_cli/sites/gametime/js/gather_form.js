// Take a fresh token as the page's own submit would, put it where the page puts it, and
// read the form's fields as the browser would send them. `actionHint`: the action the
// page's scripts loaded from their own addresses name, when its inline ones don't.
(async ([selector, waitMs, actionHint]) => {
  const form = document.querySelector(selector);
  if (!form) return {problem: 'the page has no booking form'};
  const script = Array.from(document.scripts)
    .find(s => /\/recaptcha\/(api|enterprise)\.js/.test(s.src));
  let key = null, action = null, token = null;
  if (script) {
    key = new URL(script.src, location.href).searchParams.get('render');
    const call = new RegExp('grecaptcha(?:\\.enterprise)?\\.execute\\(\\s*[^,()]*?,'
                            + '\\s*\\{[^}]*?\\baction\\s*:\\s*([\'"])([^\'"]+)\\1');
    for (const s of document.scripts) {
      const found = call.exec(s.textContent || '');
      if (found) { action = found[2]; break; }
    }
    // A call in a script the page loaded from elsewhere: the driver read it there.
    if (!action) action = actionHint || null;
    if (!key || key === 'explicit' || !action) {
      return {problem: 'the page does not say how it asks reCAPTCHA for a token', key, action};
    }
    const api = /enterprise\.js/.test(script.src) && window.grecaptcha
      ? window.grecaptcha.enterprise : window.grecaptcha;
    if (!api || !api.execute) return {problem: "the page's reCAPTCHA did not load", key, action};
    try {
      token = await Promise.race([
        new Promise((resolve, reject) => api.ready(
          () => Promise.resolve(api.execute(key, {action})).then(resolve, reject))),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), waitMs)),
      ]);
    } catch (error) {
      return {problem: `the page's reCAPTCHA gave no token (${error.message})`, key, action};
    }
    let field = form.querySelector('[name="g-recaptcha-response"]');
    if (!field) {
      field = Object.assign(document.createElement('input'),
                            {type: 'hidden', name: 'g-recaptcha-response'});
      form.appendChild(field);
    }
    field.value = token;
  }
  const fields = Array.from(new FormData(form),
                            ([name, value]) => [name, typeof value === 'string' ? value : '']);
  return {fields, target: form.action, method: (form.method || 'get').toLowerCase(),
          key, action, token: token !== null};
})
