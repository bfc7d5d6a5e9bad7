// @serialport/binding-mock ships types, but its package.json "exports" hides them from NodeNext.
declare module '@serialport/binding-mock' {
  export const MockBinding: {
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
