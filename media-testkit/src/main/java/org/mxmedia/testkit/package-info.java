/**
 * Conformance suites: abstract JUnit 5 classes that an implementation of an mxmedia SPI extends,
 * supplying a factory method, to prove it keeps the SPI's promises.
 */
@NullMarked
package org.mxmedia.testkit;

import org.jspecify.annotations.NullMarked;
