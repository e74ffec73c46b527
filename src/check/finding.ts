/** One problem `yoloq check` found. Errors are what ONNX Runtime would refuse; warnings are legal but suspicious. */
export interface Finding {
  severity: 'error' | 'warning';
  /** Stable rule id, e.g. "dangling-input". */
  rule: string;
  /** The node's name (or "OpType#index" when unnamed), when the finding is about a node. */
  node?: string;
  message: string;
}

export type FindingSink = (f: Finding) => void;
