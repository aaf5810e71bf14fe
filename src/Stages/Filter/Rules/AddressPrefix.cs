namespace Stages.Filter.Rules;

// An address prefix as a value and a mask over the 128-bit form PacketFields uses (IPv4 in the low 32 bits).
// The default (mask 0) matches every address: a rule without that term.
internal readonly record struct AddressPrefix(UInt128 Value, UInt128 Mask)
{
    public bool Matches(UInt128 address) => (address & Mask) == Value;
}
