// Cues for a player looking elsewhere: when the tab is hidden and the opponent joins, moves or
// writes, a short sound (made in the page: no audio file), the tab title and a vibration
// where the device has one tell them. A mute toggle silences the sound and the vibration, and
// is remembered. Everything here degrades to nothing where the browser lacks it.

const MUTE_KEY = 'tictactoe.mute';

function storage(env) {
  try {
    return env.localStorage || null;
  } catch {
    return null;
  }
}

/** Cues holds the cue state of one page: env is the window (tests pass a stand-in). */
export class Cues {
  constructor(env = globalThis) {
    this.env = env;
    this.pending = ''; // what the title says happened while the tab was hidden
    this.audio = null;
    let muted = false;
    try {
      muted = storage(env)?.getItem(MUTE_KEY) === '1';
    } catch {
      muted = false;
    }
    this.muted = muted;
  }

  /** hidden reports whether the player cannot see the page now. */
  hidden() {
    return this.env.document?.visibilityState === 'hidden';
  }

  setMuted(muted) {
    this.muted = Boolean(muted);
    try {
      storage(this.env)?.setItem(MUTE_KEY, this.muted ? '1' : '0');
    } catch {
      // not remembered: muted for this page only
    }
  }

  /**
   * cue tells a player who is not looking that something happened (what: "Bob moved"). It
   * returns the text the tab title should lead with, '' while the page is visible.
   */
  cue(what) {
    if (!this.hidden()) return '';
    this.pending = what;
    if (!this.muted) {
      this.beep();
      try {
        this.env.navigator?.vibrate?.(80);
      } catch {
        // no vibration here
      }
    }
    return this.pending;
  }

  /** seen clears the cue once the player looks again; it returns whether there was one. */
  seen() {
    const had = this.pending !== '';
    this.pending = '';
    return had;
  }

  // beep plays a short, soft two-tone chime made with the Web Audio API.
  beep() {
    const Ctx = this.env.AudioContext || this.env.webkitAudioContext;
    if (!Ctx) return;
    try {
      this.audio = this.audio || new Ctx();
      const ctx = this.audio;
      const t = ctx.currentTime;
      const gain = ctx.createGain();
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.08, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      gain.connect(ctx.destination);
      for (const [freq, at] of [[660, 0], [880, 0.1]]) {
        const osc = ctx.createOscillator();
        osc.type = 'sine';
        osc.frequency.setValueAtTime(freq, t + at);
        osc.connect(gain);
        osc.start(t + at);
        osc.stop(t + at + 0.2);
      }
    } catch {
      // the browser refused sound (autoplay rules): the title and vibration still tell
    }
  }
}
