// Money in the browser stays exact: decimal strings from the API become integer fen (BigInt) for
// the little arithmetic a page does (available before and after an order), never floats.

/** "1234.5" -> 123450n fen; null when the text is not a plain non-negative decimal. */
export function fen(text) {
  const match = /^(\d+)(?:\.(\d{1,4}))?$/.exec(String(text ?? '').trim());
  if (!match) return null;
  const decimals = (match[2] ?? '').padEnd(4, '0');
  const tenThousandths = BigInt(match[1]) * 10000n + BigInt(decimals);
  // Half up to the fen, as the engine rounds a line amount.
  return (tenThousandths + 50n) / 100n;
}

/** Price (yuan, up to 4 decimals) times quantity (up to 3 decimals), rounded half up to fen. */
export function lineAmount(price, quantity) {
  const p = /^(\d+)(?:\.(\d{1,4}))?$/.exec(String(price).trim());
  const q = /^(\d+)(?:\.(\d{1,3}))?$/.exec(String(quantity).trim());
  if (!p || !q) return null;
  const priceUnits = BigInt(p[1]) * 10000n + BigInt((p[2] ?? '').padEnd(4, '0'));
  const qtyUnits = BigInt(q[1]) * 1000n + BigInt((q[2] ?? '').padEnd(3, '0'));
  // priceUnits (1e-4 yuan) x qtyUnits (1e-3) = 1e-7 yuan; to fen (1e-2): divide by 1e5.
  return (priceUnits * qtyUnits + 50000n) / 100000n;
}

/** 123450n -> "1,234.50" */
export function yuan(f) {
  if (f === null || f === undefined) return '—';
  const negative = f < 0n;
  const abs = negative ? -f : f;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${cents}`;
}

/** An API money string shown with thousands separators. */
export function show(text) {
  if (text === null || text === undefined) return '—';
  const [whole, decimals = '00'] = String(text).split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${decimals}`;
}
