// Set by `conduit serve --sandbox`: where the in-process ConnectWise simulator listens and its credentials.
export interface SandboxInfo {
  apiBase: string;
  company: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
}

let current: SandboxInfo | undefined;

export function setSandboxInfo(info: SandboxInfo | undefined): void {
  current = info;
}

export function getSandboxInfo(): SandboxInfo | undefined {
  return current;
}
