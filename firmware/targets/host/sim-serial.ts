/**
 * A simulated PN532 behind a serial port: `@serialport/binding-mock` carries the bytes, so the
 * host terminal drives the simulator through exactly the SerialPort path it uses with a real
 * USB-serial PN532.
 */
/// <reference path="./binding-mock.d.ts" />
import { MockBinding } from '@serialport/binding-mock';
import { SerialPortStream } from '@serialport/stream';
import { type Clock, pn532, type Serial } from '@tibillet/firmware';

export interface SimulatedPort {
  serial: Serial;
  sim: pn532.Pn532Simulator;
  close(): Promise<void>;
}

let ports = 0;

/** Wraps an open SerialPortStream as the HAL's Serial. */
export function serialFromStream(port: SerialPortStream): Serial {
  return {
    write: (bytes) => {
      port.write(Buffer.from(bytes));
    },
    onData: (cb) => {
      port.on('data', (chunk: Buffer) => cb([...chunk]));
    },
  };
}

export async function openSimulatedPort(clock: Clock): Promise<SimulatedPort> {
  const path = `/dev/ttyTBSIM${ports++}`;
  MockBinding.createPort(path, { echo: false, record: false });
  const port = new SerialPortStream({ binding: MockBinding, path, baudRate: 115200 });
  await new Promise<void>((resolve, reject) => port.once('open', resolve).once('error', reject));
  const binding = port.port as unknown as { write(b: Buffer): Promise<void>; emitData(d: Buffer): void };
  const sim = new pn532.Pn532Simulator({ clock, awake: false });
  let toHost: (bytes: number[]) => void = () => {};
  const chipEnd: Serial = {
    // After close the chip may still answer a last command: the bytes fall on the floor, as on a wire.
    write: (bytes) => {
      if (port.isOpen) binding.emitData(Buffer.from(bytes));
    },
    onData: (cb) => {
      toHost = cb;
    },
  };
  const originalWrite = binding.write.bind(binding);
  binding.write = async (buf: Buffer) => {
    await originalWrite(buf);
    toHost([...buf]);
  };
  sim.attachSerial(chipEnd);
  return {
    serial: serialFromStream(port),
    sim,
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}
