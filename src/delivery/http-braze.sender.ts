import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { addAbortSignal, Readable } from 'node:stream';
import { HttpService } from '@nestjs/axios';
import { AxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
import { BrazeRequest } from '../engine';
import { BrazeReply, MAX_BRAZE_BODY_BYTES } from './braze-response';
import { BrazeSender } from './braze-sender';
import { secretScrubber } from './scrub-secrets';

export interface HttpSenderOptions {
  readonly endpoint: string;
  readonly apiKey: string;
  /** One deadline for the whole exchange: connecting, sending, the headers and the whole body. */
  readonly timeoutMs: number;
  readonly maxSockets: number;
}

/** At most `cap` bytes of `body`; past it the stream is destroyed (and with it the connection). */
async function readCapped(body: Readable, cap: number): Promise<{ text: string; cutAt: number | null }> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (length + chunk.length > cap) {
      chunks.push(chunk.subarray(0, cap - length));
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), cutAt: cap };
    }
    chunks.push(chunk);
    length += chunk.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), cutAt: null };
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Real delivery over keep-alive connections; the key is sent only in the Authorization
 * header. Whatever Braze sends back is bounded here, where it enters the service: one
 * deadline for the whole answer (a server dripping bytes cannot hold a lane), at most
 * MAX_BRAZE_BODY_BYTES of its body, and no credential in what is kept of it.
 */
export class HttpBrazeSender implements BrazeSender {
  readonly dryRun = false;
  private readonly agents;
  private readonly scrub;

  constructor(
    private readonly http: HttpService,
    private readonly options: HttpSenderOptions,
  ) {
    const agent = { keepAlive: true, maxSockets: options.maxSockets };
    this.agents = { httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) };
    this.scrub = secretScrubber([options.apiKey]);
  }

  async send(request: BrazeRequest): Promise<BrazeReply> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs);
    try {
      const response = await firstValueFrom(
        this.http.post<Readable>(this.options.endpoint + request.endpoint, request.body, {
          headers: { Authorization: `Bearer ${this.options.apiKey}`, 'Content-Type': 'application/json' },
          signal: deadline.signal,
          responseType: 'stream',
          validateStatus: () => true,
          maxRedirects: 0,
          ...this.agents,
        }),
      );
      const { text, cutAt } = await readCapped(addAbortSignal(deadline.signal, response.data), MAX_BRAZE_BODY_BYTES);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(response.headers)) if (v !== undefined && v !== null) headers[k.toLowerCase()] = this.scrub(String(v));
      return { status: response.status, headers, body: parsed(this.scrub(text)), ...(cutAt === null ? {} : { cutAt }) };
    } catch (error) {
      if (deadline.signal.aborted) return { networkError: `ETIMEDOUT: no whole answer within BRAZE_TIMEOUT_MS (${this.options.timeoutMs} ms)` };
      // Axios errors carry the request config, and so the key: keep only the code and message.
      const e = error as AxiosError;
      return { networkError: this.scrub(`${e.code ?? 'ERROR'}: ${e.message}`) };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.agents.httpAgent.destroy();
    this.agents.httpsAgent.destroy();
  }
}
