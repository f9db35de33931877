package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link Ticks} on ranges whose nice steps and ticks were worked out by hand: the rough step
 * range / intervals rounded up to 1, 2 or 5 × 10^k, then the multiples of it inside or around
 * the range. Tick values must equal the decimal literals exactly (not 3 × 0.2).
 */
class TicksTest {

	@Test
	void stepsRoundUpToOneTwoOrFive() {
		assertEquals(0.2, Ticks.step(0.87, 5)); // 0.174 -> 0.2
		assertEquals(2, Ticks.step(10, 5)); // exactly 2
		assertEquals(0.2, Ticks.step(1, 5)); // 0.2, despite 1 / 5 in floating point
		assertEquals(5, Ticks.step(12, 5)); // 2.4 -> 5
		assertEquals(10, Ticks.step(30, 5)); // 6 -> 10
		assertEquals(5000, Ticks.step(12345, 5)); // 2469 -> 5000
		assertEquals(1e-3, Ticks.step(0.0035, 4)); // 0.000875 -> 0.001
	}

	/** The brief's example: 0..0.87 gives 0, 0.2, ..., 0.8 inside, up to 1.0 around. */
	@Test
	void ticksInsideAndAroundARange() {
		assertArrayEquals(new double[] { 0, 0.2, 0.4, 0.6, 0.8 }, Ticks.within(0, 0.87, 5));
		assertArrayEquals(new double[] { 0, 0.2, 0.4, 0.6, 0.8, 1.0 }, Ticks.covering(0, 0.87, 5));
		assertArrayEquals(new double[] { 0, 20, 40, 60, 80, 100 }, Ticks.covering(3, 97, 5));
		assertArrayEquals(new double[] { 20, 40, 60, 80 }, Ticks.within(3, 97, 5));
		assertArrayEquals(new double[] { -1, 0, 1, 2 }, Ticks.within(-1.3, 2.6, 4)); // step 1
		assertArrayEquals(new double[] { -2, -1, 0, 1, 2, 3 }, Ticks.covering(-1.3, 2.6, 4));
		assertArrayEquals(new double[] { 0.001, 0.002, 0.003, 0.004, 0.005 }, Ticks.covering(0.0012,
			0.0047, 4));
		assertArrayEquals(new double[] { 0, 5000, 10000, 15000 }, Ticks.covering(0, 12345, 5));
		assertArrayEquals(new double[] { 0.5 }, Ticks.within(0.25, 0.95, 2)); // 0.35 -> 0.5
	}

	@Test
	void ticksOnTheBoundsAreKept() {
		// 0.6 / 0.2 = 2.9999999999999996 in floating point: the bound is still a tick
		assertArrayEquals(new double[] { 0, 0.2, 0.4, 0.6 }, Ticks.within(0, 0.6, 3));
		assertArrayEquals(new double[] { 0, 0.2, 0.4, 0.6 }, Ticks.covering(0, 0.6, 3));
		assertArrayEquals(new double[] { 0, 0.2, 0.4, 0.6, 0.8, 1.0 }, Ticks.within(0, 1, 5));
		// no -0.0 from a negative zero multiple
		assertEquals("0.0", String.valueOf(Ticks.covering(-0.8, 0.8, 8)[4]));
	}

	@Test
	void labelsUseTheDecimalsOfTheStep() {
		assertEquals("0.6", Ticks.label(0.6000000000000001, 0.2));
		assertEquals("0.0", Ticks.label(0, 0.2));
		assertEquals("0.0", Ticks.label(-1e-17, 0.2));
		assertEquals("-0.4", Ticks.label(-0.4, 0.2));
		assertEquals("1000", Ticks.label(1000, 500));
		assertEquals("0.0003", Ticks.label(0.0003, 0.0001));
		assertEquals("0.05", Ticks.label(0.05, 0.05));
		assertEquals("1.5e-4", Ticks.label(0.00015, 0.00005));
		assertEquals("2e-6", Ticks.label(2e-6, 1e-6));
		assertEquals("3e6", Ticks.label(3e6, 1e6));
		assertEquals("1.2e7", Ticks.label(1.2e7, 2e6));
		assertEquals("-2.5e7", Ticks.label(-2.5e7, 5e6));
		assertEquals("0", Ticks.label(0, 1e6));
	}

	@Test
	void badRangesAreRefused() {
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ticks
			.within(1, 1, 5));
		assertTrue(e.getMessage().contains("positive finite range"), e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> Ticks.covering(0, Double.NaN, 5));
		assertThrows(IllegalArgumentException.class, () -> Ticks.covering(0, 1, 0));
	}
}
