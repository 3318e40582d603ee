// Each capability (hub, events, console) adds itself to `capabilities` here, keeping serve.ts generic.
export {};
