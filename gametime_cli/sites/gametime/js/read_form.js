// The booking form as the page shows it: the hold, the member's id, the booking types,
// the durations, the partners' rows.
(() => {
  const labelOf = el => {
    const label = el.labels && el.labels[0];
    return (label ? label.innerText : (el.parentElement ? el.parentElement.innerText : '')) || '';
  };
  const member = document.querySelector('input[name="players[1][user_id]"]');
  const select = document.querySelector('select[name=duration]');
  return {
    held: document.querySelector('input[name=temp]') !== null,
    temp: (document.querySelector('input[name=temp]') || {}).value || null,
    userId: member ? member.value : null,
    types: Array.from(document.querySelectorAll('input[name=rtype]'),
                      r => ({value: r.value, label: labelOf(r)})),
    durations: select ? Array.from(select.options,
                                   o => ({value: o.value, label: o.innerText})) : null,
    partners: [2, 3, 4].filter(
      n => document.querySelector(`input[name="players[${n}][name]"]`) !== null).map(n => ({
        number: n,
        memberField: document.querySelector(`[name="players[${n}][user_id]"]`) !== null,
        guestBox: document.querySelector(`input[type=checkbox][name="players[${n}][guest]"]`)
          !== null,
      })),
  };
})
