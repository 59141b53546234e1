import { clampDockHeight, parseDock } from './dock.ts';

const KEY = 'layerscope.commandBar';

/** The command bar's collapsed state and output height, remembered in this browser. */
export class DockState {
  collapsed = $state(false);
  height = $state(0);

  constructor() {
    const d = parseDock(localStorage.getItem(KEY));
    this.collapsed = d.collapsed;
    this.height = clampDockHeight(d.height, innerHeight);
  }

  #save(): void {
    localStorage.setItem(KEY, JSON.stringify({ collapsed: this.collapsed, height: this.height }));
  }

  toggle(): void {
    this.collapsed = !this.collapsed;
    this.#save();
  }

  resize(height: number): void {
    this.height = clampDockHeight(height, innerHeight);
    this.collapsed = false;
    this.#save();
  }
}
