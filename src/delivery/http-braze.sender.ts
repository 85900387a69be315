import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpService } from '@nestjs/axios';
import { AxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
import { BrazeRequest } from '../engine';
import { BrazeReply } from './braze-response';
import { BrazeSender } from './braze-sender';

export interface HttpSenderOptions {
  readonly endpoint: string;
  readonly apiKey: string;
  readonly timeoutMs: number;
  readonly maxSockets: number;
}

/** Real delivery over keep-alive connections; the key is sent only in the Authorization header. */
export class HttpBrazeSender implements BrazeSender {
  readonly dryRun = false;
  private readonly agents;

  constructor(
    private readonly http: HttpService,
    private readonly options: HttpSenderOptions,
  ) {
    const agent = { keepAlive: true, maxSockets: options.maxSockets };
    this.agents = { httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) };
  }

  async send(request: BrazeRequest): Promise<BrazeReply> {
    try {
      const response = await firstValueFrom(
        this.http.post(this.options.endpoint + request.endpoint, request.body, {
          headers: { Authorization: `Bearer ${this.options.apiKey}`, 'Content-Type': 'application/json' },
          timeout: this.options.timeoutMs,
          validateStatus: () => true,
          maxRedirects: 0,
          ...this.agents,
        }),
      );
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(response.headers)) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
      return { status: response.status, headers, body: response.data };
    } catch (error) {
      // Axios errors carry the request config, and so the key: keep only the code and message.
      const e = error as AxiosError;
      return { networkError: `${e.code ?? 'ERROR'}: ${e.message}`.replaceAll(this.options.apiKey, '[redacted]') };
    }
  }

  close(): void {
    this.agents.httpAgent.destroy();
    this.agents.httpsAgent.destroy();
  }
}
