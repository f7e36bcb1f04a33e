/** Draws frame `t` of a uint8 RGB clip [frames, height, width, 3] into a canvas of the frame's size. */
export function drawFrame(canvas: HTMLCanvasElement, video: Uint8Array, [frames, height, width]: [number, number, number], t: number): void {
  if (video.length !== frames * height * width * 3) throw new Error(`drawFrame: clip has ${video.length} values, expected ${frames}x${height}x${width}x3`);
  if (!(t >= 0 && t < frames)) throw new Error(`drawFrame: frame ${t} is outside 0..${frames - 1}`);
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('drawFrame: no 2d canvas context');
  const image = ctx.createImageData(width, height);
  const offset = t * height * width * 3;
  for (let p = 0; p < height * width; p++) {
    image.data[4 * p] = video[offset + 3 * p];
    image.data[4 * p + 1] = video[offset + 3 * p + 1];
    image.data[4 * p + 2] = video[offset + 3 * p + 2];
    image.data[4 * p + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** Plays the clip in `canvas` while the pointer is over it (8 frames a second), back to frame 0 after. */
export function animateOnHover(canvas: HTMLCanvasElement, video: Uint8Array, shape: [number, number, number]): void {
  let timer: ReturnType<typeof setInterval> | undefined;
  let t = 0;
  canvas.addEventListener('mouseenter', () => {
    timer = setInterval(() => {
      t = (t + 1) % shape[0];
      drawFrame(canvas, video, shape, t);
    }, 125);
  });
  canvas.addEventListener('mouseleave', () => {
    clearInterval(timer);
    t = 0;
    drawFrame(canvas, video, shape, 0);
  });
}
