package dev.dsync.webhooks.delivery;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One endpoint's share of this replica: at most {@code concurrency} attempts in flight, a queue of
 * leased deliveries waiting for a slot, rate pacing, and what the worker knows about the endpoint's
 * due deliveries still in the table.
 *
 * <p>The queue is as deep as the endpoint's recent answers allow: a waiting delivery must start
 * while its lease still covers the attempt ({@code budgetNanos} after it was leased), so an
 * endpoint answering in 5 ms may have hundreds waiting (large claims, never running dry between
 * them) and one answering in 10 s only a round or two. It starts from the worst case (every answer
 * takes the whole request timeout): a new or unknown endpoint gets one round, as many waiting as in
 * flight.
 */
final class Lane {

  /** Weight of the newest answer in the latency average. */
  private static final double ALPHA = 0.2;

  private final int concurrency;
  private final int maxQueue;
  private final long budgetNanos;
  private final Deque<Claimed> waiting = new ArrayDeque<>();
  private int active;
  private int reserved;
  private double latencyNanos;
  private boolean backlog;
  private long nextSlotNanos;
  /** Whether nextSlotNanos means anything (nanoTime has no fixed origin; it may be negative). */
  private boolean paced;

  /**
   * @param concurrency most attempts in flight
   * @param maxQueue most deliveries waiting, however fast the endpoint answers
   * @param budgetNanos time from leasing a delivery to the latest moment its attempt may start
   * @param timeoutNanos the request timeout: the latency assumed until the endpoint has answered
   */
  Lane(int concurrency, int maxQueue, long budgetNanos, long timeoutNanos) {
    this.concurrency = concurrency;
    this.maxQueue = Math.max(concurrency, maxQueue);
    this.budgetNanos = budgetNanos;
    this.latencyNanos = timeoutNanos;
  }

  /**
   * How many may wait: the queue drains {@code concurrency} at a time, one latency per round, and
   * must drain within half the budget (the other half absorbs slower answers than the average).
   */
  synchronized int queueLimit() {
    double rounds = (budgetNanos / 2.0) / Math.max(1, latencyNanos);
    long limit = (long) Math.floor(rounds * concurrency);
    return (int) Math.max(concurrency, Math.min(maxQueue, limit));
  }

  /** How many more deliveries this lane takes now: none while it is full or paced a second ahead. */
  synchronized int room() {
    if (paced && nextSlotNanos - System.nanoTime() > 1_000_000_000L) {
      return 0;
    }
    return Math.max(0, concurrency + queueLimit() - active - waiting.size() - reserved);
  }

  /** Whether a claim may find more due deliveries of this endpoint in the table. */
  synchronized boolean backlog() {
    return backlog;
  }

  /**
   * What a claim learnt: it filled all the room it offered, or stopped at its own limit before
   * (more may be due), or it found fewer than it had room for (the table holds no more now).
   */
  synchronized void claimed(int offered, int got, boolean capped) {
    backlog = capped || got >= offered;
  }

  /**
   * Reserves a place for a delivery an intake transaction is inserting, unless the lane is full or
   * older due deliveries of this endpoint wait in the table (they go first); then the delivery
   * waits for a claim and the lane knows there is a backlog.
   */
  synchronized boolean reserve() {
    if (backlog || room() <= 0) {
      backlog = true;
      return false;
    }
    reserved++;
    return true;
  }

  /** Gives back a reservation (its transaction rolled back, or it was started). */
  synchronized void unreserve() {
    reserved = Math.max(0, reserved - 1);
  }

  /** Takes in a delivery reserved by {@link #reserve()}: true if it may start now. */
  synchronized boolean enterReserved(Claimed job) {
    unreserve();
    return enter(job);
  }

  /** Takes a delivery in: true if it may start now, else it waits for a slot. */
  synchronized boolean enter(Claimed job) {
    if (active < concurrency) {
      active++;
      return true;
    }
    waiting.add(job);
    return false;
  }

  /** An attempt ended after {@code nanos}: the next waiting delivery to start, or null (a slot frees). */
  synchronized Claimed leave(long nanos) {
    latencyNanos = (1 - ALPHA) * latencyNanos + ALPHA * nanos;
    return next();
  }

  /** An attempt was not made (its lease lapsed while it waited): the next one, or null. */
  synchronized Claimed skip() {
    return next();
  }

  private Claimed next() {
    Claimed next = waiting.poll();
    if (next == null) {
      active--;
    }
    return next;
  }

  /** Whether the lane has room for at least half its depth again: worth a claim if it has a backlog. */
  synchronized boolean wantsMore() {
    return backlog && room() * 2 >= concurrency + queueLimit();
  }

  /** Milliseconds to wait so this endpoint gets at most {@code perSecond} attempts a second. */
  synchronized long paceMillis(Integer perSecond) {
    if (perSecond == null || perSecond <= 0) {
      return 0;
    }
    long now = System.nanoTime();
    long slot = paced ? Math.max(now, nextSlotNanos) : now;
    paced = true;
    nextSlotNanos = slot + 1_000_000_000L / perSecond;
    return (slot - now) / 1_000_000;
  }
}
