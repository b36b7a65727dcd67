/**
 * What pw status and pw retro must agree on, read from either's result (or
 * its --json output): every worker's state, every open NEEDS and every
 * deadlock. The status rule is the reference; retro follows it.
 */
export interface AgreementView {
  states: Record<string, string>;
  openNeeds: string[];
  deadlocks: string[];
}

interface StatusLike {
  workers: readonly {
    id: string;
    state: string;
    needs: readonly { worker: string; item: string }[];
  }[];
  deadlocks: readonly (readonly string[])[];
}

interface RetroLike {
  workers: readonly {
    id: string;
    state: string;
    needs: readonly { provider: string; item: string; open: boolean }[];
  }[];
  findings: readonly { kind: string; title: string }[];
}

export function statusView(status: StatusLike): AgreementView {
  return {
    states: Object.fromEntries(status.workers.map((w) => [w.id, w.state])),
    openNeeds: status.workers
      .flatMap((w) => w.needs.map((n) => `${w.id} -> ${n.worker}/${n.item}`))
      .sort(),
    deadlocks: status.deadlocks.map((cycle) => [...cycle].sort().join(',')).sort(),
  };
}

export function retroView(retro: RetroLike): AgreementView {
  return {
    states: Object.fromEntries(retro.workers.map((w) => [w.id, w.state])),
    openNeeds: retro.workers
      .flatMap((w) =>
        w.needs.filter((n) => n.open).map((n) => `${w.id} -> ${n.provider}/${n.item}`),
      )
      .sort(),
    deadlocks: retro.findings
      .filter((f) => f.kind === 'deadlock')
      .map((f) =>
        f.title
          .replace(/^Deadlock: /, '')
          .replace(/ wait for each other$/, '')
          .split(' → ')
          .slice(0, -1)
          .sort()
          .join(','),
      )
      .sort(),
  };
}
