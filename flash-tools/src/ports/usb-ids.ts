/** USB-serial bridges found on terminal boards, by USB vendor:product id. */
export interface UsbBridge {
  vendorId: string;
  productId: string;
  chip: string;
  /** Boards that usually carry it. */
  boards: string;
}

export const USB_BRIDGES: readonly UsbBridge[] = [
  { vendorId: '10c4', productId: 'ea60', chip: 'CP210x', boards: 'ESP32 DevKitC, NodeMCU ESP8266 v2' },
  { vendorId: '1a86', productId: '7523', chip: 'CH340', boards: 'ESP32/ESP8266 clones, NodeMCU v3' },
  { vendorId: '1a86', productId: '55d4', chip: 'CH9102', boards: 'ESP32 DevKit (recent)' },
  { vendorId: '0403', productId: '6001', chip: 'FTDI FT232R', boards: 'USB-serial adapters' },
  { vendorId: '0403', productId: '6015', chip: 'FTDI FT231X', boards: 'USB-serial adapters' },
  {
    vendorId: '2e8a',
    productId: '0005',
    chip: 'RP2040 USB CDC',
    boards: 'Raspberry Pi Pico W (Espruino/MicroPython CDC)',
  },
  { vendorId: '303a', productId: '1001', chip: 'ESP32-S3/C3 USB CDC', boards: 'ESP32-S3/C3 native USB' },
];

export function findBridge(
  vendorId: string | undefined,
  productId: string | undefined,
): UsbBridge | undefined {
  if (!vendorId || !productId) return undefined;
  const v = vendorId.toLowerCase().replace(/^0x/, '').padStart(4, '0');
  const p = productId.toLowerCase().replace(/^0x/, '').padStart(4, '0');
  return USB_BRIDGES.find((b) => b.vendorId === v && b.productId === p);
}
