// A small candle chart on a canvas: bodies from open to close (red when the price rose, green when
// it fell, as Chinese markets show them), wicks from low to high, volume bars underneath, and the
// price scale on the right. Prices arrive as decimal strings and are only drawn, never summed.

const UP = '#c62828';
const DOWN = '#2e7d32';
const GRID = '#e3e7eb';
const TEXT = '#6b7785';

/** Draws `candles` (oldest first) into `canvas`, filling its width. */
export function drawCandles(canvas, candles) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 600;
  const height = canvas.clientHeight || 300;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  canvas.dataset.candles = String(candles.length);
  canvas.dataset.trades = String(candles.reduce((n, c) => n + (c.trades ?? 0), 0));
  const g = canvas.getContext('2d');
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  g.font = '11px sans-serif';
  if (candles.length === 0) {
    g.fillStyle = TEXT;
    g.fillText('暂无成交', 12, 20);
    return;
  }
  const axis = 64;
  const plotWidth = width - axis;
  const priceHeight = height * 0.72;
  const volumeTop = height * 0.78;
  const num = (text) => Number(text);
  const highs = candles.map((c) => num(c.high));
  const lows = candles.map((c) => num(c.low));
  let top = Math.max(...highs);
  let bottom = Math.min(...lows);
  if (top === bottom) { top *= 1.01; bottom *= 0.99; }
  const y = (price) => 8 + (top - price) / (top - bottom) * (priceHeight - 16);
  const maxVolume = Math.max(...candles.map((c) => num(c.volume)), 1);
  const slot = Math.max(3, Math.min(24, plotWidth / candles.length));
  const shown = candles.slice(-Math.floor(plotWidth / slot));
  g.strokeStyle = GRID;
  g.fillStyle = TEXT;
  for (let i = 0; i <= 4; i += 1) {
    const price = bottom + (top - bottom) * i / 4;
    const py = y(price);
    g.beginPath(); g.moveTo(0, py); g.lineTo(plotWidth, py); g.stroke();
    g.fillText(price.toFixed(2), plotWidth + 4, py + 4);
  }
  shown.forEach((c, i) => {
    const x = i * slot + slot / 2;
    const [o, h, l, cl] = [num(c.open), num(c.high), num(c.low), num(c.close)];
    const colour = cl >= o ? UP : DOWN;
    g.strokeStyle = colour;
    g.fillStyle = colour;
    g.beginPath(); g.moveTo(x, y(h)); g.lineTo(x, y(l)); g.stroke();
    const bodyTop = y(Math.max(o, cl));
    const bodyHeight = Math.max(1, Math.abs(y(o) - y(cl)));
    g.fillRect(x - slot * 0.35, bodyTop, slot * 0.7, bodyHeight);
    const vh = (num(c.volume) / maxVolume) * (height - volumeTop - 4);
    g.globalAlpha = 0.5;
    g.fillRect(x - slot * 0.35, height - vh - 2, slot * 0.7, vh);
    g.globalAlpha = 1;
  });
}
