package io.tipstream.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class PartitionClockTest {
  private static final long WALL = Instant.parse("2026-12-01T12:00:00Z").toEpochMilli();
  private static final long T2013 = Instant.parse("2013-01-13T10:00:00Z").toEpochMilli();
  private static final long T2099 = Instant.parse("2099-01-01T00:00:00Z").toEpochMilli();
  private static final long MINUTE = 60_000, DAY = 86_400_000;
  /** A jump bound of a day (the default is 365), so that the jumps below stay short. */
  private static final EventTimePolicy POLICY = EventTimePolicy.parse("maxJump=86400000");

  private long offset;

  private PartitionClock.Decision next(PartitionClock clock, long t) {
    return clock.decide(offset++, t, true, POLICY, WALL);
  }

  private static PartitionClock settledAt(long t) {
    PartitionClock clock = new PartitionClock();
    clock.decide(-2, t, true, POLICY, WALL);
    clock.decide(-1, t, true, POLICY, WALL);
    return clock;
  }

  @Test
  void aFrontierIsSetOnlyOnceTwoRecordsAgreeSoAWrongFirstRecordMovesNothing() {
    PartitionClock clock = new PartitionClock();
    long wrong = T2013 + 700 * DAY;
    assertEquals(PartitionClock.NONE, next(clock, wrong).frontier());
    assertEquals(PartitionClock.NONE, next(clock, T2013).frontier());
    assertEquals(T2013 + MINUTE, next(clock, T2013 + MINUTE).frontier());
    assertEquals("implausible event time: more than 1 d ahead of its partition's time", next(clock, wrong).implausibleReason());
  }

  @Test
  void aTimeFarAheadOfTheClockIsImplausibleEvenAsTheFirstRecord() {
    PartitionClock clock = new PartitionClock();
    PartitionClock.Decision d = next(clock, T2099);
    assertEquals("implausible event time: more than 1 h ahead of the clock", d.implausibleReason());
    assertEquals(PartitionClock.NONE, d.frontier());
    assertNull(next(clock, WALL + 59 * MINUTE).implausibleReason());
  }

  @Test
  void aTimeBeforeTheEarliestIsImplausible() {
    PartitionClock clock = settledAt(T2013);
    PartitionClock.Decision d = next(clock, 0);
    assertEquals("implausible event time: before 2000-01-01T00:00:00Z", d.implausibleReason());
    assertEquals(T2013, d.frontier());
  }

  @Test
  void aJumpIsImplausibleAndLeavesTheFrontierWhereItWas() {
    PartitionClock clock = settledAt(T2013);
    PartitionClock.Decision d = next(clock, T2013 + 2 * DAY);
    assertEquals("implausible event time: more than 1 d ahead of its partition's time", d.implausibleReason());
    assertEquals(T2013, d.frontier());
    assertNull(next(clock, T2013 + DAY).implausibleReason());
  }

  @Test
  void aRecordBehindTheFrontierIsPlausibleAndMovesNothing() {
    PartitionClock clock = settledAt(T2013);
    PartitionClock.Decision d = next(clock, T2013 - 10 * DAY);
    assertNull(d.implausibleReason());
    assertEquals(T2013, d.frontier());
  }

  @Test
  void aPartitionThatReallyMovesOnIsFollowedAfterEnoughRecordsInARow() {
    PartitionClock clock = settledAt(T2013);
    long later = T2013 + 60 * DAY;
    for (int i = 1; i < PartitionClock.CONFIRMATIONS; i++) assertEquals(T2013, next(clock, later + i).frontier());
    PartitionClock.Decision d = next(clock, later + PartitionClock.CONFIRMATIONS);
    assertNull(d.implausibleReason());
    assertEquals(later + PartitionClock.CONFIRMATIONS, d.frontier());
  }

  @Test
  void aPlausibleRecordBetweenJumpsStartsTheCountAgain() {
    PartitionClock clock = settledAt(T2013);
    for (int round = 0; round < 3; round++) {
      for (int i = 1; i < PartitionClock.CONFIRMATIONS; i++) next(clock, T2013 + 5 * DAY);
      assertEquals(T2013, next(clock, T2013 + MINUTE).frontier() - MINUTE);
    }
    assertEquals("implausible event time: more than 1 d ahead of its partition's time", next(clock, T2013 + 5 * DAY).implausibleReason());
  }

  @Test
  void aMalformedRecordMovesNothing() {
    PartitionClock clock = settledAt(T2013);
    PartitionClock.Decision d = clock.decide(offset++, T2013 + MINUTE, false, POLICY, WALL);
    assertNull(d.implausibleReason());
    assertEquals(T2013, d.frontier());
  }

  @Test
  void theRowAndTheWatermarkGetTheSameAnswerForARecordAsTheClockMoves() {
    PartitionClock clock = settledAt(T2013);
    long nearTheBound = WALL + 60 * MINUTE + 500;
    PartitionClock.Decision first = clock.decide(5, nearTheBound, true, POLICY, WALL);
    assertEquals(first, clock.decide(5, nearTheBound, true, POLICY, WALL + 10 * MINUTE));
    assertEquals(first, clock.decided(5));
    assertNull(clock.decided(6));
  }

  @Test
  void liveModesClockRunsAheadOfTheWall() {
    EventTimePolicy live = EventTimePolicy.parse("clockWall=" + WALL + ",clockEvent=" + (WALL + DAY) + ",clockSpeedup=60");
    assertEquals(WALL + DAY + 60 * MINUTE, live.clockAt(WALL + MINUTE));
    PartitionClock clock = new PartitionClock();
    assertNull(clock.decide(1, WALL + DAY + 100 * MINUTE, true, live, WALL + MINUTE).implausibleReason());
    assertEquals("implausible event time: more than 1 h ahead of the clock", clock.decide(2, WALL + DAY + 121 * MINUTE + 1, true, live, WALL + MINUTE).implausibleReason());
  }

  @Test
  void aSparsePartitionQuietForDaysIsPlausibleByDefault() {
    PartitionClock clock = new PartitionClock();
    clock.decide(1, T2013, true, EventTimePolicy.DEFAULT, WALL);
    clock.decide(2, T2013 + MINUTE, true, EventTimePolicy.DEFAULT, WALL);
    PartitionClock.Decision d = clock.decide(3, T2013 + 45 * DAY, true, EventTimePolicy.DEFAULT, WALL);
    assertNull(d.implausibleReason());
    assertEquals(T2013 + 45 * DAY, d.frontier());
    assertEquals("implausible event time: more than 365 d ahead of its partition's time", clock.decide(4, T2013 + 700 * DAY, true, EventTimePolicy.DEFAULT, WALL).implausibleReason());
  }

  @Test
  void boundsOfZeroAreOff() {
    EventTimePolicy off = EventTimePolicy.parse("maxAheadOfClock=0,maxJump=0,earliest=0");
    PartitionClock clock = new PartitionClock();
    assertEquals(T2099, clock.decide(1, T2099, true, off, WALL).frontier());
  }

  @Test
  void aPolicyWithAnUnknownKeyOrANegativeBoundIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> EventTimePolicy.parse("maxAhead=1"));
    assertThrows(IllegalArgumentException.class, () -> EventTimePolicy.parse("maxJump=-1"));
  }
}
