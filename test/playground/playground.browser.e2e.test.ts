import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { launchChromium } from '../helpers/browser';
import { ROOT } from '../helpers/engine';
import { PlaygroundProcess, startPlaygroundCli } from '../helpers/playground';

// Chromium's start takes seconds on a loaded CI machine.
jest.setTimeout(60_000);

const DEFAULT_YAML = readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8');
const lineOf = (text: string) => DEFAULT_YAML.split('\n').findIndex((l) => l.includes(text)) + 1;
const SCREENSHOT = join(ROOT, 'docs', 'playground.png');

/**
 * Selects `needle` in the editor under `pane`, on the first rendered line that also holds
 * `onLine`, as a user's drag would: a DOM selection, which CodeMirror takes as its own.
 */
async function selectInEditor(page: Page, pane: string, needle: string, onLine = needle): Promise<void> {
  // CodeMirror renders only the lines near the viewport: scroll down from the top until the line is drawn.
  await page.$eval(`${pane} .cm-scroller`, (s) => void (s.scrollTop = 0));
  for (let attempt = 0; attempt < 40; attempt++) {
    if (await selectRendered(page, pane, needle, onLine)) {
      // CodeMirror reads the DOM selection on selectionchange; let that event be handled.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
      return;
    }
    const moved = await page.$eval(`${pane} .cm-scroller`, (s) => {
      const before = s.scrollTop;
      s.scrollTop += s.clientHeight / 2;
      return s.scrollTop !== before;
    });
    if (!moved) break;
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  }
  throw new Error(`"${needle}" is on no line of ${pane}`);
}

function selectRendered(page: Page, pane: string, needle: string, onLine: string): Promise<boolean> {
  return page.evaluate(
    (pane, needle, onLine) => {
      const content = document.querySelector(`${pane} .cm-content`) as HTMLElement;
      for (const line of Array.from(content.querySelectorAll('.cm-line'))) {
        const text = line.textContent ?? '';
        const at = text.indexOf(needle);
        if (!text.includes(onLine) || at < 0) continue;
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        let offset = 0;
        let start: [Node, number] | null = null;
        let end: [Node, number] | null = null;
        for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
          if (!start && at < offset + node.data.length) start = [node, at - offset];
          if (at + needle.length <= offset + node.data.length) {
            end = [node, at + needle.length - offset];
            break;
          }
          offset += node.data.length;
        }
        content.focus();
        const range = document.createRange();
        range.setStart(...start!);
        range.setEnd(...end!);
        getSelection()!.removeAllRanges();
        getSelection()!.addRange(range);
        return true;
      }
      return false;
    },
    pane,
    needle,
    onLine,
  );
}

const runs = (page: Page) => page.evaluate(() => Number(document.body.dataset.runs ?? 0));
const requestsShown = (page: Page) => page.$eval('.requests pre', (pre) => JSON.parse(pre.textContent === 'none' ? '[]' : (pre.textContent ?? '[]')));

describe('the playground in Chromium', () => {
  let playground: PlaygroundProcess;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    playground = await startPlaygroundCli();
    chromium = await launchChromium();
    page = await chromium.browser.newPage();
    await page.setViewport({ width: 1600, height: 1000 });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') consoleErrors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error}`));
    page.on('requestfailed', (request) => consoleErrors.push(`requestfailed: ${request.url()}`));
    await page.goto(playground.url, { waitUntil: 'load' });
    await page.waitForFunction(() => Number(document.body.dataset.runs ?? 0) >= 1);
  });

  afterAll(async () => {
    await chromium?.close();
    await playground?.stop();
  });

  it('loads with no console errors (the Content-Security-Policy refuses nothing it needs), one tab per file and the examples passing', async () => {
    expect(consoleErrors).toEqual([]);
    expect(await page.$$eval('#tabs .tab', (tabs) => tabs.map((t) => t.textContent))).toEqual(['mappings/braze.yaml']);
    const verdicts = await page.$$eval('.example .verdict', (v) => v.map((e) => e.textContent));
    expect(verdicts.length).toBeGreaterThan(3);
    expect(new Set(verdicts)).toEqual(new Set(['pass']));
  });

  it('maps the order sample to one purchase per product, and makes an example of it', async () => {
    await page.select('#sample', 'order');
    await page.waitForFunction(() => document.querySelector('.requests pre')?.textContent?.includes('"purchases"'));
    const products = JSON.parse(await page.$eval('#input .cm-content', (c) => (c as HTMLElement).innerText)).properties.products;
    const requests = await requestsShown(page);
    expect(requests).toHaveLength(1);
    expect(requests[0].body.purchases.map((p: { product_id: string }) => p.product_id)).toEqual(products.map((p: { product_id: string }) => p.product_id));
    expect(await page.$eval('.trace-section', (t) => t.textContent)).toMatch(/order-purchases/);
    await page.screenshot({ path: SCREENSHOT });
    await page.click('#add-example');
    const snippet = await page.waitForSelector('dialog[open] pre.snippet');
    const text = await snippet!.evaluate((pre) => pre.textContent ?? '');
    expect(text).toMatch(/^- name: Order Completed\n {2}message:\n/);
    expect(text).toMatch(/ {2}expect:\n {4}requests:\n/);
    await page.click('dialog[open] button:last-of-type');
  });

  it('shows the output change when home_city is renamed, and the example it breaks with its first differing pointer', async () => {
    await page.select('#sample', 'identify');
    await page.waitForFunction(() => document.querySelector('.requests pre')?.textContent?.includes('"home_city": "London"'));
    await selectInEditor(page, '#editor', 'home_city', 'traits.address.city');
    await page.keyboard.type('town_city');
    await page.waitForFunction(() => document.querySelector('.requests pre')?.textContent?.includes('"town_city": "London"'));
    expect(JSON.stringify(await requestsShown(page))).not.toMatch(/home_city/);
    const failed = await page.waitForSelector('.example.failed .pointer');
    expect(await failed!.evaluate((p) => p.textContent)).toBe('/examples/0/expect/requests/0/body/attributes/0/home_city');
    // Put it back: the examples pass again.
    await selectInEditor(page, '#editor', 'town_city', 'traits.address.city');
    await page.keyboard.type('home_city');
    await page.waitForFunction(() => document.querySelector('.requests pre')?.textContent?.includes('"home_city": "London"') && !document.querySelector('.example.failed'));
  });

  it('shows a json-logic typo as a diagnostic on its line, inline and in the list', async () => {
    const line = lineOf('when: { "==": [{ var: type }, alias] }');
    expect(line).toBeGreaterThan(0);
    await selectInEditor(page, '#editor', '"=="', '[{ var: type }, alias]');
    await page.keyboard.type('"=~"');
    const listed = await page.waitForSelector('#diagnostics li[data-code="UNKNOWN_OPERATOR"]');
    expect(await listed!.evaluate((li) => (li as HTMLElement).dataset.line)).toBe(String(line));
    expect(await listed!.evaluate((li) => li.textContent)).toMatch(/did you mean "=="/);
    const marked = await page.waitForSelector('#editor .cm-lintRange-error');
    expect(await marked!.evaluate((m) => [m.closest('.cm-line')?.textContent, m.textContent])).toEqual([expect.stringContaining('"=~": [{ var: type }, alias]'), '"=~"']);
    await selectInEditor(page, '#editor', '"=~"');
    await page.keyboard.type('"=="');
    await page.waitForFunction(() => document.querySelectorAll('#diagnostics li').length === 0);
  });

  it('completes keys and explains them on hover, from mappings/schema.json', async () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'mappings', 'schema.json'), 'utf8'));
    await selectInEditor(page, '#editor', 'merge-anonymous-profile', '- name: merge-anonymous-profile');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.keyboard.type('sto');
    const option = await page.waitForSelector('.cm-tooltip-autocomplete li[aria-selected="true"]');
    expect(await option!.evaluate((li) => li.textContent)).toMatch(/^stop/);
    // A click: Enter within the list's first 75 ms (CodeMirror's interactionDelay) is not taken as accepting it.
    await option!.click();
    const editorText = () => page.$eval('#editor .cm-content', (c) => (c as HTMLElement).innerText);
    await page.waitForFunction(() => /- name: merge-anonymous-profile\n\s+stop: \n/.test((document.querySelector('#editor .cm-content') as HTMLElement).innerText));
    // Undo until the mapping is the default again (how many steps depends on how CodeMirror grouped the edits).
    for (let i = 0; i < 5 && !/- name: merge-anonymous-profile\n\s+description:/.test(await editorText()); i++) {
      await page.keyboard.down('Control');
      await page.keyboard.press('z');
      await page.keyboard.up('Control');
    }
    expect(await editorText()).toMatch(/- name: merge-anonymous-profile\n\s+description:/);

    await selectInEditor(page, '#editor', 'identity', 'identity:');
    const key = await page.evaluate(() => {
      const range = getSelection()!.getRangeAt(0).getBoundingClientRect();
      return { x: range.left + range.width / 2, y: range.top + range.height / 2 };
    });
    await page.mouse.move(key.x, key.y);
    const hover = await page.waitForSelector('.schema-hover');
    expect(await hover!.evaluate((h) => h.textContent)).toContain(schema.properties.identity.description);
    await page.mouse.move(1, 1);
  });

  it('answers each keystroke on the default mapping with a fresh run (round trip logged)', async () => {
    await selectInEditor(page, '#editor', '/users/identify.', 'description: Segment');
    // Collapses the selection at its end: the keys go after "/users/identify.".
    await page.keyboard.press('ArrowRight');
    const times: number[] = [];
    for (const key of 'abcdefghijklmnopqrst') {
      const before = await runs(page);
      await page.keyboard.type(key);
      await page.waitForFunction((n) => Number(document.body.dataset.runs) > n, {}, before);
      times.push(await page.evaluate(() => Number(document.body.dataset.roundTripMs)));
    }
    expect(await page.$eval('#editor .cm-content', (c) => (c as HTMLElement).innerText)).toMatch(/Braze \/users\/track, \/users\/identify\.abcdefghijklmnopqrst/);
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`playground round trip per keystroke (default mapping, identify sample; compile + examples + map + pack, fetch to render): median ${sorted[10].toFixed(1)} ms, max ${sorted[19].toFixed(1)} ms over 20`);
    expect(times.every((t) => t > 0)).toBe(true);
    expect(consoleErrors).toEqual([]);
  });
});

describe('the playground in Chromium, on a set of two files', () => {
  const EXTRA = 'version: 1\nrules:\n  - name: extra\n    when: { "=~": [{ var: type }, page] }\n    events: { fields: { name: { const: x } } }\n';
  let dir: string;
  let playground: PlaygroundProcess;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-play-two-'));
    mkdirSync(join(dir, 'mappings'));
    cpSync(join(ROOT, 'mappings', 'braze.yaml'), join(dir, 'mappings', 'braze.yaml'));
    writeFileSync(join(dir, 'mappings', 'zz-extra.yaml'), EXTRA);
    playground = await startPlaygroundCli(['--mappings', 'mappings'], dir);
    chromium = await launchChromium();
    page = await chromium.browser.newPage();
    await page.setViewport({ width: 1600, height: 1000 });
    await page.goto(playground.url, { waitUntil: 'load' });
    await page.waitForFunction(() => Number(document.body.dataset.runs ?? 0) >= 1);
  });

  afterAll(async () => {
    await chromium?.close();
    await playground?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows a tab per file, lists every file's diagnostics, and a click opens the file at the diagnostic", async () => {
    expect(await page.$$eval('#tabs .tab', (tabs) => tabs.map((t) => t.textContent))).toEqual(['mappings/braze.yaml', 'mappings/zz-extra.yaml']);
    const listed = await page.waitForSelector('#diagnostics li[data-code="UNKNOWN_OPERATOR"]', { timeout: 5000 }).catch(async (e) => {
      throw new Error(`${e}: ${await page.$eval('#output', (o) => o.textContent)} / ${await page.$eval('#diagnostics', (o) => o.textContent)}`);
    });
    expect(await listed!.evaluate((li) => li.textContent)).toMatch(/^mappings\/zz-extra\.yaml:4:\d+ UNKNOWN_OPERATOR/);
    // Marked inline only in its own file's editor.
    expect(await page.$$('#editor .cm-lintRange-error')).toHaveLength(0);
    await listed!.click();
    await page.waitForFunction(() => document.querySelector('#tabs .tab.active')?.textContent === 'mappings/zz-extra.yaml');
    const marked = await page.waitForSelector('#editor .cm-lintRange-error');
    expect(await marked!.evaluate((m) => m.textContent)).toBe('"=~"');
    expect(await page.$eval('.banner.error', (b) => b.textContent)).toMatch(/1 error/);
  });
});
