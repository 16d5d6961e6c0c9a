() => {
  // Citation markers [n] and copy buttons live inside chat messages (HTML from qa/render.py).
  // One delegated listener serves every message, old and new.
  const openTarget = (button) => {
    window.cqaTarget = button.value;  // {"doc", "start", "end"}, written by qa/render.py
    const opener = document.querySelector('#cqa-open');
    if (opener) { opener.click(); }
  };
  document.addEventListener('click', (event) => {
    const cite = event.target.closest('button.cqa-cite');
    if (cite) { event.preventDefault(); openTarget(cite); return; }
    const copy = event.target.closest('button.cqa-copy');
    if (copy) {
      event.preventDefault();
      // textContent is the quote's characters exactly as they stand in the article.
      const text = copy.closest('.cqa-quote').querySelector('.cqa-qtext').textContent;
      navigator.clipboard.writeText(text).then(() => { copy.textContent = 'Copied'; setTimeout(() => { copy.textContent = 'Copy'; }, 1500); });
    }
  });
}
