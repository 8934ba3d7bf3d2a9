// What the page says when the game server turns its socket away at the handshake, which a
// browser cannot read the reason of: here the local stack refuses this machine's address after
// one mistyped code (ADDRESS_STRIKES=1; 300 by default), as a deployment refuses an address
// whose connections misbehaved, or as API Gateway's throttle answers 429 when it is busy.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumMissing, launchBrowser, startStack, newPlayer, screenshots, waitText } from './harness.mjs';

const skip = chromiumMissing();

describe('a socket refused at the handshake', { skip: skip || false }, () => {
  let stack;
  let browser;
  before(async () => {
    stack = await startStack({ env: { ADDRESS_STRIKES: '1' } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('the page says the server is turning it away, not that the connection was lost, and keeps its buttons busy', { timeout: 60000 }, async () => {
    // One player's typo spends this address's budget (of one).
    const typist = await newPlayer(browser, stack.url);
    await typist.page.goto('/');
    await typist.page.fill('#join-code', 'ZZ2222');
    await typist.page.fill('#join-name', 'Kid');
    await typist.page.click('#join-form button');
    await waitText(typist.page, '#join-error', /\S/);

    // A classmate on the same address opens the page and asks for a room.
    const { page, context } = await newPlayer(browser, stack.url);
    await page.goto('/');
    await page.fill('#create-name', 'Ann');
    await page.click('#create-form button');
    const said = await waitText(page, '#conn', /busy, or is turning away new connections from this network/, 20000);
    assert.doesNotMatch(said, /Connection lost/);
    assert.equal(await page.getAttribute('#create-form button', 'aria-disabled'), 'true', 'Create must not look usable while the socket is refused');
    await screenshots(page, 'refused');
    await context.close();
    await typist.context.close();
  });
});
