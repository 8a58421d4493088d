// jest's node environment, with Node's own RangeError in the tests' realm. cassandra-driver tells
// "this row is not all here yet" from a real error by `err instanceof RangeError`
// (lib/streams.js, handleParsingError), and the error comes from Buffer, which throws Node's
// RangeError, not the one of jest's VM context: a result frame split over several socket reads
// failed the whole query (RangeError: The value of "offset" is out of range). Plain Node has one
// realm and never sees it. Loopback reads rarely split a frame; the containers' network does.
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

class TipstreamNodeEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.RangeError = RangeError;
  }
}

module.exports = TipstreamNodeEnvironment;
