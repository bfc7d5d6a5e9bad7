// @serialport/binding-mock ships types but its package.json "exports" hides them from NodeNext.
declare module '@serialport/binding-mock' {
  import type { BindingInterface } from '@serialport/bindings-interface';
  export const MockBinding: BindingInterface & {
    createPort(
      path: string,
      opt?: {
        echo?: boolean;
        record?: boolean;
        vendorId?: string;
        productId?: string;
        manufacturer?: string;
      },
    ): void;
    reset(): void;
  };
}
