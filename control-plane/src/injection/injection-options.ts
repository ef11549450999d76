// What the injected containers run, from the control plane's flags (--inject-image,
// --inject-control-plane), with defaults that match deploy/.

/** The image deploy/ builds and tags (deploy/base/kustomization.yaml). */
export const DEFAULT_INJECT_IMAGE = 'sluice:0.1.0';
/** deploy/base's discovery Service, as the hand-written sidecars in deploy/examples dial it. */
export const DEFAULT_INJECT_CONTROL_PLANE = 'sluice-discovery.sluice-system.svc:15010';

export interface InjectionOptions {
  /** The image of both injected containers (`sluice proxy` and `sluice init-capture`). */
  readonly image: string;
  /** The discovery address the injected proxies dial (--control-plane). */
  readonly controlPlane: string;
}

export const DEFAULT_INJECTION_OPTIONS: InjectionOptions = Object.freeze({ image: DEFAULT_INJECT_IMAGE, controlPlane: DEFAULT_INJECT_CONTROL_PLANE });
