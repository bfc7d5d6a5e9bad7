/** Wire types the gateway shares with the terminals (the firmware's protocol is the source). */
import type { protocol } from '@tibillet/firmware';

export type CartLine = protocol.CartLine;
export type TapBody = protocol.TapBody;
export type ResultBody = protocol.ResultBody;
export type Mode = protocol.Mode;
