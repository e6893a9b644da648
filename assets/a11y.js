// Keyboard use of dialogs (issue 15 point 6): when a dialog that was opened by a
// button outside it (a controlled dialog, no Radix trigger) closes, focus goes back
// to that button instead of falling to <body>.
(() => {
  const DIALOG = '[role=dialog],[role=alertdialog]';
  let opener = null;
  let open = false;
  document.addEventListener('focusin', (e) => {
    if (e.target instanceof Element && !e.target.closest(DIALOG)) opener = e.target;
  });
  const watch = () => new MutationObserver(() => {
    const now = document.querySelector(DIALOG) !== null;
    if (open && !now) {
      const lost = !document.activeElement || document.activeElement === document.body;
      if (lost && opener && opener.isConnected) opener.focus();
    }
    open = now;
  }).observe(document.body, { childList: true, subtree: true });
  if (document.body) watch();
  else document.addEventListener('DOMContentLoaded', watch);
})();
