() => {
  // Citation markers [n] and copy buttons live inside chat messages (HTML from qa/render.py).
  // One delegated listener serves every message, old and new.
  const openTarget = (button) => {
    window.cqaTarget = button.value;  // {"doc", "start", "end", "text"}, written by qa/render.py
    const opener = document.querySelector('#cqa-open');
    if (opener) { opener.click(); }
  };
  // Gradio labels each chat message "<role>'s message: <content>", and our content is HTML: a
  // screen reader would read the markup aloud. Relabel with the text a reader sees instead.
  const relabel = (el) => {
    const role = el.getAttribute('data-testid') === 'user' ? 'Question: ' : 'Answer: ';
    // Without the [n] and Copy buttons: they are controls of their own, not words of the answer.
    const copy = el.cloneNode(true);
    copy.querySelectorAll('button').forEach((b) => b.remove());
    const text = role + (copy.textContent || '').replace(/\s+/g, ' ').trim();
    if (el.getAttribute('aria-label') !== text) { el.setAttribute('aria-label', text); }
  };
  const relabelAll = () => document
    .querySelectorAll('#cqa-chat [data-testid="user"][aria-label], #cqa-chat [data-testid="bot"][aria-label]')
    .forEach(relabel);
  new MutationObserver(relabelAll).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-label'],
  });
  relabelAll();
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
