// The live feed's metrics: open pages, the feed's own computations (one per tick whatever the number
// of pages: the measure of its cost), and pages dropped for reading too slowly.
import { Counter, Gauge, type Registry } from 'prom-client';

export class FeedMetrics {
  private readonly computations: Counter;
  private readonly dropped: Counter;

  constructor(registry: Registry | undefined, subscribers: () => number) {
    const registers = registry === undefined ? [] : [registry];
    new Gauge({
      name: 'sluice_ui_feed_subscribers',
      help: "Dashboard pages connected to this replica's live feed (GET /ui/events).",
      registers,
      collect() {
        this.set(subscribers());
      },
    });
    this.computations = new Counter({
      name: 'sluice_ui_feed_computations_total',
      help: "Times the live feed computed the fleet's overview and changes: one per tick while any page is open and for a while after the last one closes.",
      registers,
    });
    this.dropped = new Counter({
      name: 'sluice_ui_feed_dropped_total',
      help: 'Dashboard pages disconnected from the live feed because they read too slowly (over 16 MiB left unsent).',
      registers,
    });
  }

  computed(): void {
    this.computations.inc();
  }

  droppedSlow(): void {
    this.dropped.inc();
  }
}
