// The slice of the Graph client the tap uses (connector/graph/client.ts implements it). Typing the tap
// against this port keeps readers testable with a loopback sandbox or a small fake, and nothing else.

export interface TokenRef {
  label: string;
  token: string;
}

export interface GraphCall {
  params?: Record<string, unknown>;
  tokens: TokenRef[];
  accountId?: string;
  method?: 'GET' | 'POST';
  signal?: AbortSignal;
}

export interface CallStats {
  api_calls: number;
  throttles: number;
  retries: number;
  errors: number;
}

export interface GraphPort {
  request<T = unknown>(path: string, opts: GraphCall): Promise<T>;
  paginate<T = Record<string, unknown>>(path: string, opts: GraphCall): AsyncGenerator<T>;
  statsFor(accountId: string): CallStats;
  deadTokens(): string[];
}
