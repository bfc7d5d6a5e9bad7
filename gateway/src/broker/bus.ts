/** How the gateway core talks MQTT, whichever broker carries it. */
export interface Bus {
  /** Starts delivering device messages (`tb/v1/{venue}/dev/+/up/+`) to `onMessage`. */
  start(onMessage: (topic: string, payload: Buffer) => void): Promise<void>;
  publish(topic: string, payload: string, retain: boolean): Promise<void>;
  /** Cuts a device off now (embedded broker); an external broker relies on its password file. */
  disconnect(deviceId: string): void;
  connectedDevices(): number;
  close(): Promise<void>;
}
