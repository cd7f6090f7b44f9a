/**
 * How the viewer's video element is shown, as the hint the relay chooses by (docs/web.md, "Video hints"; the SDK's
 * `MediaViewer.setVideoHint`): paused while nobody can see it — the tab hidden (`visibilitychange`) or the element
 * scrolled out of view or of no size (IntersectionObserver) — unless it plays picture-in-picture; and the box it fills,
 * its CSS size × devicePixelRatio in device pixels, measured on resize (ResizeObserver, window resize for zoom and a
 * move to another screen). A change to paused goes at once; a new size after `debounceMs` of quiet (a window being
 * dragged to size sends one hint, not fifty).
 */
import type { VideoHint } from "@lilium/sdk";

/** Starts watching `video`; `onHint` gets the current hint at once and each change after. Returns the stop function. */
export function watchVideoHint(video: HTMLVideoElement, onHint: (hint: VideoHint) => void, debounceMs = 300): () => void {
  let inView = true; // until the observer's first report
  let last: VideoHint | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const measure = (): VideoHint => {
    const pip = document.pictureInPictureElement === video;
    const rect = video.getBoundingClientRect();
    const dpr = window.devicePixelRatio > 0 ? window.devicePixelRatio : 1;
    const width = Math.round(rect.width * dpr), height = Math.round(rect.height * dpr);
    const paused = !pip && (document.visibilityState === "hidden" || !inView || width === 0 || height === 0);
    // Picture-in-picture: its window's size is the browser's; no limit.
    return pip || paused ? { paused, maxWidth: last?.maxWidth ?? null, maxHeight: last?.maxHeight ?? null } : { paused, maxWidth: width, maxHeight: height };
  };
  const report = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const hint = measure();
    if (last !== null && hint.paused === last.paused && hint.maxWidth === last.maxWidth && hint.maxHeight === last.maxHeight) return;
    last = hint;
    onHint(hint);
  };
  const soon = () => {
    if (last !== null && measure().paused !== last.paused) {
      report(); // paused or resumed: at once
      return;
    }
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(report, debounceMs);
  };

  const intersection = new IntersectionObserver((entries) => {
    const entry = entries[entries.length - 1];
    if (entry !== undefined) inView = entry.isIntersecting;
    soon();
  });
  intersection.observe(video);
  const resize = new ResizeObserver(soon);
  resize.observe(video);
  document.addEventListener("visibilitychange", soon);
  window.addEventListener("resize", soon);
  video.addEventListener("enterpictureinpicture", soon);
  video.addEventListener("leavepictureinpicture", soon);
  report();

  return () => {
    if (timer !== null) clearTimeout(timer);
    intersection.disconnect();
    resize.disconnect();
    document.removeEventListener("visibilitychange", soon);
    window.removeEventListener("resize", soon);
    video.removeEventListener("enterpictureinpicture", soon);
    video.removeEventListener("leavepictureinpicture", soon);
  };
}
