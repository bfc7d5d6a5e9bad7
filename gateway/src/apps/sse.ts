/** Server-sent events: named channels ("pos:bar", "kitchen:bar", "stock"), one stream per page. */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

export class Hub {
  private channels = new Map<string, Set<ServerResponse>>();
  private streams = new Set<ServerResponse>();
  private seq = 0;
  private readonly ping: NodeJS.Timeout;

  constructor(pingMs = 15_000) {
    this.ping = setInterval(() => {
      for (const set of this.channels.values()) for (const res of set) res.write(': ping\n\n');
    }, pingMs);
    this.ping.unref();
  }

  /** Hands the request's socket over to an event stream on the given channels. */
  open(
    req: FastifyRequest,
    reply: FastifyReply,
    channels: string[],
    first?: { event: string; data: unknown },
  ): void {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    for (const ch of channels) {
      const set = this.channels.get(ch) ?? new Set<ServerResponse>();
      this.channels.set(ch, set);
      set.add(res);
    }
    if (first) res.write(this.frame(first.event, first.data));
    this.streams.add(res);
    const drop = () => {
      this.streams.delete(res);
      for (const ch of channels) this.channels.get(ch)?.delete(res);
    };
    res.on('close', drop);
    req.raw.socket.on('close', drop);
  }

  publish(channel: string, event: string, data: unknown): void {
    const set = this.channels.get(channel);
    if (!set || set.size === 0) return;
    const frame = this.frame(event, data);
    for (const res of set) res.write(frame);
  }

  listeners(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  private frame(event: string, data: unknown): string {
    return `id: ${++this.seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  close(): void {
    clearInterval(this.ping);
    // An event stream never goes idle: the HTTP server would wait for it to end.
    for (const res of this.streams) res.destroy();
    this.streams.clear();
    this.channels.clear();
  }
}
