// DOM helpers for every screen. Text is only ever set with textContent.

export const $ = (id) => document.getElementById(id);

export function show(el, visible) {
  el.hidden = !visible;
}

// say sets an element's text (an element or its id) only when it changes, so screen readers
// announce nothing twice and the layout is not redone.
export function say(target, text) {
  const el = typeof target === 'string' ? $(target) : target;
  if (el.textContent !== text) el.textContent = text;
}

export function focusHeading(id) {
  const h = $(id);
  h.tabIndex = -1;
  h.focus({ preventScroll: false });
}
