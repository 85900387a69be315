import { All, Controller, Headers, HttpCode, NotFoundException, Param, Post, Req } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IngestError } from '../ingest/ingest-error';
import { IngestResult, IngestService, IngestSource } from '../ingest/ingest.service';
import { MESSAGE_TYPES } from '../ingest/message-check';
import { PreviewService } from '../ingest/preview.service';
import { JsonRequest } from './json-body.middleware';

function reply(result: IngestResult) {
  return result.rejected.length > 0 ? { success: true, rejected: result.rejected } : { success: true };
}

const MESSAGE = { type: 'object', description: 'A Segment message (identify, track, page, screen, group, alias)', additionalProperties: true };
const OK = { schema: { type: 'object', properties: { success: { type: 'boolean' }, rejected: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } } } } } } };
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

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({ summary: "Segment's batch endpoint: up to 2,500 messages, 500 KB" })
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

  @Post(':type')
  @HttpCode(200)
  @ApiOperation({ summary: 'One message: /v1/identify, /v1/track, /v1/page, /v1/screen, /v1/group, /v1/alias (the path sets the type)' })
  @ApiBody({ schema: MESSAGE })
  @ApiResponse({ status: 200, ...OK })
  async single(@Param('type') type: string, @Req() req: JsonRequest, @Headers('authorization') authorization?: string) {
    if (!(MESSAGE_TYPES as readonly string[]).includes(type)) throw new NotFoundException(`no endpoint POST /v1/${type.slice(0, 40)}`);
    return reply(await this.ingest.ingest({ source: type as IngestSource, body: req.json, rawBody: req.rawBody, authorization }));
  }
}
