/**
 * A serial link to a board: a SerialPortStream opened on a binding (the OS one by default,
 * `@serialport/binding-mock` in tests), seen as bytes in and bytes out.
 */
import { SerialPortStream } from '@serialport/stream';
import { FlashError } from '../errors.js';

export interface Link {
  readonly path: string;
  write(data: string | Uint8Array): Promise<void>;
  /** Subscribes to incoming bytes; returns the unsubscribe function. */
  onData(cb: (chunk: Buffer) => void): () => void;
  close(): Promise<void>;
}

export interface LinkOptions {
  baudRate?: number;
  /** Serial binding; defaults to the platform binding of `serialport`. */
  binding?: BindingInterface;
}

/** A serial binding (the OS one, or `@serialport/binding-mock`). */
export type BindingInterface = ConstructorParameters<typeof SerialPortStream>[0]['binding'];

let defaultBinding: BindingInterface | undefined;

/** The platform binding, loaded lazily so tests with the mock never load the native module. */
export async function platformBinding(): Promise<BindingInterface> {
  if (!defaultBinding) {
    const { SerialPort } = await import('serialport');
    defaultBinding = SerialPort.binding as unknown as BindingInterface;
  }
  return defaultBinding;
}

export async function openLink(path: string, opts: LinkOptions = {}): Promise<Link> {
  const binding = opts.binding ?? (await platformBinding());
  const port = new SerialPortStream({ binding, path, baudRate: opts.baudRate ?? 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err ? reject(new FlashError('port-open', `cannot open ${path}: ${err.message}`)) : resolve(),
    ),
  );
  port.on('error', () => {}); // surfaced through write/close promises instead
  return {
    path,
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        port.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data), (err) =>
          err ? reject(new FlashError('port-write', `write to ${path} failed: ${err.message}`)) : resolve(),
        );
      }),
    onData: (cb) => {
      port.on('data', cb);
      return () => port.off('data', cb);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
