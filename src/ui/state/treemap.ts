/**
 * Squarified treemap layout (Bruls, Huizing, van Wijk 2000): rectangles with areas
 * proportional to sizes and aspect ratios near 1. Pure; the Svelte component only draws.
 */
export interface TreemapItem {
  key: string;
  label: string;
  size: number;
}

export interface TreemapRect extends TreemapItem {
  x: number;
  y: number;
  w: number;
  h: number;
}

function worst(row: number[], side: number): number {
  const s = row.reduce((a, b) => a + b, 0);
  const max = Math.max(...row);
  const min = Math.min(...row);
  return Math.max((side * side * max) / (s * s), (s * s) / (side * side * min));
}

export function squarify(items: readonly TreemapItem[], width: number, height: number): TreemapRect[] {
  const list = items.filter((i) => i.size > 0).sort((a, b) => b.size - a.size);
  const total = list.reduce((n, i) => n + i.size, 0);
  if (total === 0 || width <= 0 || height <= 0) return [];
  const scale = (width * height) / total;
  const areas = list.map((i) => i.size * scale);
  const out: TreemapRect[] = [];
  let x = 0,
    y = 0,
    w = width,
    h = height;
  let i = 0;
  while (i < areas.length) {
    const side = Math.min(w, h);
    const row: number[] = [areas[i]!];
    let j = i + 1;
    while (j < areas.length && worst([...row, areas[j]!], side) <= worst(row, side)) row.push(areas[j++]!);
    const sum = row.reduce((a, b) => a + b, 0);
    if (w >= h) {
      // A column on the left.
      const cw = sum / h;
      let cy = y;
      row.forEach((a, k) => {
        const ch = a / cw;
        out.push({ ...list[i + k]!, x, y: cy, w: cw, h: ch });
        cy += ch;
      });
      x += cw;
      w -= cw;
    } else {
      const rh = sum / w;
      let cx = x;
      row.forEach((a, k) => {
        const cw = a / rh;
        out.push({ ...list[i + k]!, x: cx, y, w: cw, h: rh });
        cx += cw;
      });
      y += rh;
      h -= rh;
    }
    i = j;
  }
  return out;
}
