// The line that says why the page is not connected. A socket refused while the page's own
// host answers is the game server saying no (API Gateway's throttle), not the network.

import * as words from './words.mjs';
import { say } from './view.mjs';

const SITE_CHECK_MS = 5000;

// onSite is called once the site has answered a check, to say it.
export function connectionLine(onSite) {
  let checked = 0; // when the site was last asked (Date.now())
  let siteUp = null; // whether it answered: null while unknown

  async function checkSite() {
    if (Date.now() - checked < SITE_CHECK_MS) return;
    checked = Date.now();
    try {
      const res = await fetch('/config.js', { method: 'HEAD', cache: 'no-store' });
      siteUp = res.ok;
    } catch {
      siteUp = false;
    }
    onSite();
  }

  // engaged: a room, a seat or an answer awaited makes even a first connection worth a word.
  function show(state, socket, engaged) {
    let kind = '';
    if (state === 'retrying' || (state === 'connecting' && socket.attempts > 0)) {
      if (navigator.onLine === false) kind = 'offline';
      else if (!socket.refused) kind = 'lost';
      else {
        // Refused at the handshake: the site tells the network's fault from the server's.
        kind = siteUp === true ? 'refused' : siteUp === false ? 'unreachable' : 'connecting';
        checkSite();
      }
    } else if (state === 'connecting' && engaged) {
      kind = 'connecting';
    } else if (state === 'broken') {
      kind = 'broken';
    }
    say('conn', kind ? words.connectionText(kind) : '');
    if (state === 'open') siteUp = null;
  }

  return { show };
}
