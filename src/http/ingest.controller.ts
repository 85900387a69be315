import { All, Controller, Headers, HttpCode, NotFoundException, Param, Post, Req } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { pathsOf, SDK_METRICS_PATH, TrackingEndpoint, trackingEndpointAt } from '../ingest/endpoints';
import { IngestError } from '../ingest/ingest-error';
import { IngestResult, IngestService } from '../ingest/ingest.service';
import { MESSAGE_TYPES } from '../ingest/message-check';
import { PreviewService } from '../ingest/preview.service';
import { JsonRequest } from './json-body.middleware';

function reply(result: IngestResult) {
  return result.rejected.length > 0 ? { success: true, rejected: result.rejected } : { success: true };
}

const MESSAGE = { type: 'object', description: 'A Segment message (identify, track, page, screen, group, alias)', additionalProperties: true };
const OK = { schema: { type: 'object', properties: { success: { type: 'boolean' }, rejected: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } } } } } } };
/** The short forms of some endpoints, as the docs list them: `/v1/i, /v1/t, …`. */
const shortForms = (...endpoints: TrackingEndpoint[]) => endpoints.flatMap((e) => pathsOf(e).slice(1).map((path) => `/v1/${path}`)).join(', ');
const REFUSED = { description: '{"success": false, "error": {"code", "message"}, "rejected"?: [...]}' };

/** Segment's HTTP tracking API, the webhook destination and the preview. Thin: the service decides. */
@ApiTags('ingest')
@ApiBasicAuth('writeKey')
@ApiHeader({ name: 'authorization', required: false, description: 'Basic base64("<writeKey>:"), or send "writeKey" in the body' })
@ApiResponse({ status: 400, ...REFUSED })
@ApiResponse({ status: 401, ...REFUSED })
@ApiResponse({ status: 415, ...REFUSED })
@Controller('v1')
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    private readonly previews: PreviewService,
  ) {}

  @Post(pathsOf('batch'))
  @HttpCode(200)
  @ApiOperation({ summary: "Segment's batch endpoint: up to 2,500 messages, 500 KB", description: `Also served at ${shortForms('batch')}, where analytics.js 2.0 (batching) and the mobile SDKs post.` })
  @ApiBody({ schema: { type: 'object', required: ['batch'], properties: { batch: { type: 'array', items: MESSAGE }, context: { type: 'object' }, integrations: { type: 'object' }, sentAt: { type: 'string', format: 'date-time' }, writeKey: { type: 'string' } } } })
  @ApiResponse({ status: 200, ...OK })
  async batch(@Req() req: JsonRequest, @Headers('authorization') authorization?: string) {
    return reply(await this.ingest.ingest({ source: 'batch', body: req.json, rawBody: req.rawBody, authorization }));
  }

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Map without queueing: the Braze requests and the trace, for one message or a batch' })
  @ApiBody({ schema: { oneOf: [MESSAGE, { type: 'array', items: MESSAGE }, { type: 'object', properties: { batch: { type: 'array', items: MESSAGE } } }] } })
  preview(@Req() req: JsonRequest, @Headers('authorization') authorization?: string) {
    return this.previews.preview({ body: req.json, rawBody: req.rawBody, authorization });
  }

  @All('webhook')
  @HttpCode(200)
  @ApiOperation({ summary: "Segment's Webhooks destination (POST/PUT/PATCH): one message or an array; X-Signature when WEBHOOK_SHARED_SECRET is set" })
  @ApiHeader({ name: 'x-signature', required: false, description: 'hex HMAC-SHA1 of the raw body under WEBHOOK_SHARED_SECRET' })
  @ApiBody({ schema: { oneOf: [MESSAGE, { type: 'array', items: MESSAGE }] } })
  @ApiResponse({ status: 200, ...OK })
  async webhook(@Req() req: JsonRequest, @Headers('authorization') authorization?: string, @Headers('x-signature') signature?: string) {
    if (!['POST', 'PUT', 'PATCH'].includes(req.method)) throw new IngestError(400, 'INVALID_BODY', 'the webhook takes POST, PUT or PATCH');
    return reply(await this.ingest.ingest({ source: 'webhook', body: req.json, rawBody: req.rawBody, authorization, signature }));
  }

  @Post(SDK_METRICS_PATH)
  @HttpCode(200)
  @ApiOperation({ summary: "The SDKs' own usage counters (analytics.js 2.0 posts them to <apiHost>/m): answered with success, not kept" })
  @ApiResponse({ status: 200, schema: { type: 'object', properties: { success: { type: 'boolean' } } } })
  sdkMetrics() {
    return { success: true };
  }

  @Post(':type')
  @HttpCode(200)
  @ApiOperation({
    summary: 'One message: /v1/identify, /v1/track, /v1/page, /v1/screen, /v1/group, /v1/alias (the path sets the type)',
    description: `Also served at analytics.js 2.0's short paths ${shortForms(...MESSAGE_TYPES)}, each as its long form.`,
  })
  @ApiParam({ name: 'type', enum: MESSAGE_TYPES.flatMap((type) => pathsOf(type)) })
  @ApiBody({ schema: MESSAGE })
  @ApiResponse({ status: 200, ...OK })
  async single(@Param('type') type: string, @Req() req: JsonRequest, @Headers('authorization') authorization?: string) {
    const endpoint = trackingEndpointAt(type);
    if (endpoint === undefined || endpoint === 'batch') throw new NotFoundException(`no endpoint POST /v1/${type.slice(0, 40)}`);
    return reply(await this.ingest.ingest({ source: endpoint, body: req.json, rawBody: req.rawBody, authorization }));
  }
}
