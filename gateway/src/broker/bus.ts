/** How the gateway core talks MQTT, whichever broker carries it. */
export interface Bus {
  /**
   * Starts delivering device messages (`tb/v1/{venue}/dev/+/up/+`) to `onMessage`. `release`,
   * when given, must be called once the message is handled (its answer published, or the
   * message refused): the embedded broker holds a tap's PUBACK back until then, so the PUBACK
   * and the result leave in one write (one segment, one wake-up of the terminal) instead of two.
   */
  start(onMessage: (topic: string, payload: Buffer, release?: () => void) => void): Promise<void>;
  publish(topic: string, payload: string, retain: boolean): Promise<void>;
  /** Cuts a device off now (embedded broker); an external broker relies on its password file. */
  disconnect(deviceId: string): void;
  connectedDevices(): number;
  close(): Promise<void>;
}
