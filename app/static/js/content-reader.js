// Reader keyboard access: left/right arrow keys go to the previous/next page.
// The links and the Next button work without this file; it only adds the keys.
(function () {
  "use strict";

  function isTyping(target) {
    return Boolean(
      target &&
        target.closest &&
        target.closest("input, textarea, select, video, audio, [contenteditable]")
    );
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    if (isTyping(event.target)) {
      return;
    }
    if (event.key === "ArrowLeft") {
      var previous = document.querySelector('.reader-nav a[rel="prev"]');
      if (previous) {
        event.preventDefault();
        previous.click();
      }
    } else if (event.key === "ArrowRight") {
      var next = document.querySelector(".reader-nav [data-next-page]");
      if (next) {
        event.preventDefault();
        next.click();
      }
    }
  });
})();
