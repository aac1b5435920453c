// What a page can read of the browser: what a bot check reads.
(async () => {
  const data = navigator.userAgentData;
  const script = Array.from(document.scripts)
    .find(s => /\/recaptcha\/(api|enterprise)\.js/.test(s.src));
  return {
    webdriver: navigator.webdriver === true,
    userAgent: navigator.userAgent,
    brands: data ? data.brands.map(b => `${b.brand} ${b.version}`) : null,
    platform: data ? data.platform : null,
    plugins: navigator.plugins.length,
    languages: Array.from(navigator.languages || []),
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    screen: [screen.width, screen.height],
    window: [innerWidth, innerHeight],
    recaptcha: !!(window.grecaptcha && window.grecaptcha.execute),
    siteKey: script ? new URL(script.src, location.href).searchParams.get('render') : null,
  };
})
