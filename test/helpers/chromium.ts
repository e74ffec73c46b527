import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { SAFETY_TIMEOUT_MS } from './cli.js';

/**
 * Render a local HTML file in Debian's headless Chromium, driven over the DevTools protocol on a pipe
 * (--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4), so no npm browser package is needed.
 * Returns a PNG screenshot, every console error, uncaught exception and error log entry, and every request the
 * page made other than to itself and data: URIs. Started as this offline machine needs: --no-sandbox (root),
 * background networking, sync and component updates off.
 */

export const CHROMIUM = process.env.YOLOQ_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export interface RenderResult {
  png: Buffer;
  errors: string[];
  requests: string[];
}

type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

export async function renderPage(
  htmlPath: string,
  options: { width?: number; height?: number; timeoutMs?: number } = {},
): Promise<RenderResult> {
  const profile = mkdtempSync(join(tmpdir(), 'yoloq-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--disable-default-apps',
    '--mute-audio',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
    `--window-size=${options.width ?? 1280},${options.height ?? 1600}`,
    '--remote-debugging-pipe',
    'about:blank',
  ];
  // Its own process group, so the renderer and utility processes can be killed with it.
  const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  const gone = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  toBrowser.on('error', () => {
    /* the browser went away; the exit handler reports it */
  });
  const errors: string[] = [];
  const requests: string[] = [];
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const waiters: Array<{ method: string; resolve: () => void }> = [];
  let nextId = 1;
  let buf = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  fromBrowser.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let end;
    while ((end = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, end)) as Message;
      buf = buf.slice(end + 1);
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg);
      } else if (msg.method) onEvent(msg);
    }
  });
  const pageUrl = pathToFileURL(htmlPath).href;
  function onEvent(m: Message): void {
    const p = m.params ?? {};
    if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) {
      errors.push(`console.${String(p.type)}: ${JSON.stringify((p.args as unknown[] | undefined) ?? [])}`);
    } else if (m.method === 'Runtime.exceptionThrown') {
      errors.push(
        `exception: ${JSON.stringify((p.exceptionDetails as { text?: string; exception?: { description?: string } } | undefined)?.exception?.description ?? p.exceptionDetails)}`,
      );
    } else if (m.method === 'Log.entryAdded') {
      const e = p.entry as { level?: string; text?: string; url?: string };
      if (e.level === 'error') errors.push(`log: ${e.text ?? ''} ${e.url ?? ''}`.trim());
    } else if (m.method === 'Network.requestWillBeSent') {
      const url = (p.request as { url?: string }).url ?? '';
      if (url !== pageUrl && !url.startsWith('data:')) requests.push(url);
    }
    for (const w of waiters.filter((x) => x.method === m.method)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  }
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Message> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  const waitFor = (method: string): Promise<void> => new Promise((resolve) => waiters.push({ method, resolve }));
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`Chromium timed out; stderr: ${stderr.slice(-500)}`)),
      options.timeoutMs ?? SAFETY_TIMEOUT_MS,
    ).unref(),
  );
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code) => reject(new Error(`Chromium exited (${code}); stderr: ${stderr.slice(-500)}`))),
  );
  try {
    return await Promise.race([
      timeout,
      exited,
      (async () => {
        const targets = (await send('Target.getTargets')).result!.targetInfos as Array<{ targetId: string; type: string }>;
        const page = targets.find((t) => t.type === 'page');
        if (!page) throw new Error('Chromium opened no page');
        const sessionId = (await send('Target.attachToTarget', { targetId: page.targetId, flatten: true })).result!.sessionId as string;
        for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await send(`${domain}.enable`, {}, sessionId);
        const loaded = waitFor('Page.loadEventFired');
        await send('Page.navigate', { url: pageUrl }, sessionId);
        await loaded;
        await new Promise((r) => setTimeout(r, 300));
        const shot = await send('Page.captureScreenshot', { format: 'png' }, sessionId);
        return { png: Buffer.from(shot.result!.data as string, 'base64'), errors, requests };
      })(),
    ]);
  } finally {
    await shutDown();
  }

  // Chromium's helper processes keep writing into the profile for a moment after the browser exits, so a plain
  // rm right after kill races them (ENOTEMPTY): ask it to close, kill the whole group, wait, then remove.
  async function shutDown(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        toBrowser.write(`${JSON.stringify({ id: nextId++, method: 'Browser.close' })}\0`);
      } catch {
        /* pipe already closed */
      }
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000).unref())]);
    }
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* group already gone */
    }
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000).unref())]);
    for (let attempt = 0; ; attempt++) {
      try {
        rmSync(profile, { recursive: true, force: true });
        return;
      } catch (e) {
        if (attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}
