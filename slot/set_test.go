package slot_test

import (
	"testing"

	"github.com/kvplace/kvplace/slot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestParseForms(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []slot.Range
	}{
		{"", nil},
		{"0-5460", []slot.Range{{0, 5460}}},
		{"5461", []slot.Range{{5461, 5461}}},
		{"[0-1364],[5461-6826],[10923-12287]", []slot.Range{{0, 1364}, {5461, 6826}, {10923, 12287}}},
		{"0-6826 10923-12287", []slot.Range{{0, 6826}, {10923, 12287}}},
		{"0-1364,5461-6826", []slot.Range{{0, 1364}, {5461, 6826}}},
		{"[7]", []slot.Range{{7, 7}}},
		{"16383", []slot.Range{{16383, 16383}}},
		{"10,3-4", []slot.Range{{10, 10}, {3, 4}}}, // order as written
	} {
		got, err := slot.ParseRanges(tc.text)
		require.NoError(t, err, "ParseRanges(%q)", tc.text)
		assert.Equal(t, tc.want, got, "ParseRanges(%q)", tc.text)
	}
}

func TestParseErrorsNameTheInput(t *testing.T) {
	for text, want := range map[string]string{
		"5461-100":    `slot: range "5461-100" is reversed (5461 > 100)`,
		"16384":       `slot: range "16384": slot 16384 is out of range 0-16383`,
		"0-16384":     `slot: range "0-16384": slot 16384 is out of range 0-16383`,
		"0-10,5-20":   `slot: range "5-20" overlaps "0-10": slot 5 is given twice`,
		"3,3":         `slot: range "3" overlaps "3": slot 3 is given twice`,
		"a-b":         `slot: malformed range "a-b": "a" is not a slot number`,
		"1-":          `slot: malformed range "1-": "" is not a slot number`,
		"-5":          `slot: malformed range "-5": "" is not a slot number`,
		"[1-2":        `slot: malformed range "[1-2": unbalanced brackets`,
		"1-2]":        `slot: malformed range "1-2]": unbalanced brackets`,
		"1-2-3":       `slot: malformed range "1-2-3": "2-3" is not a slot number`,
		"99999999999": `slot: malformed range "99999999999": "99999999999" is not a slot number`,
		"+5":          `slot: malformed range "+5": "+5" is not a slot number`,
		"[]":          `slot: malformed range "[]": "" is not a slot number`,
	} {
		_, err := slot.Parse(text)
		assert.EqualError(t, err, want, "Parse(%q)", text)
	}
}

func TestSetFormats(t *testing.T) {
	s, err := slot.Parse("0-1364,5461-6826,10923-12287")
	require.NoError(t, err)
	assert.Equal(t, 4096, s.Len())
	assert.Equal(t, "0-1364,5461-6826,10923-12287", s.String())
	assert.Equal(t, "[0-1364],[5461-6826],[10923-12287]", s.Bracketed())
	assert.Equal(t, "0-1364 5461-6826 10923-12287", s.Spaced())

	one := slot.SetOf(slot.Range{Lo: 5, Hi: 5}, slot.Range{Lo: 7, Hi: 9})
	assert.Equal(t, "[5],[7-9]", one.Bracketed())
	assert.Equal(t, "5 7-9", one.Spaced())

	var empty slot.Set
	assert.Equal(t, "", empty.String())
	assert.Equal(t, "", empty.Bracketed())
	assert.Zero(t, empty.Len())
}

func TestSetOperations(t *testing.T) {
	var s slot.Set
	s.AddRange(10, 20)
	s.Add(16383)
	s.Remove(15)
	assert.True(t, s.Has(10))
	assert.False(t, s.Has(15))
	assert.True(t, s.Has(16383))
	assert.Equal(t, 11, s.Len())
	assert.Equal(t, []slot.Range{{10, 14}, {16, 20}, {16383, 16383}}, s.Ranges())

	o := slot.SetOf(slot.Range{Lo: 20, Hi: 30})
	assert.True(t, s.Intersects(o))
	s.RemoveSet(o)
	assert.False(t, s.Intersects(o))
	s.AddSet(o)
	assert.Equal(t, "10-14,16-30,16383", s.String())
}

// TestParseRoundTrips: any set formatted by any of the three forms parses back to itself.
func TestParseRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var s slot.Set
		for _, x := range rapid.SliceOfN(rapid.IntRange(0, slot.Count-1), 0, 200).Draw(t, "slots") {
			s.Add(x)
		}
		for _, text := range []string{s.String(), s.Spaced(), s.Bracketed()} {
			back, err := slot.Parse(text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", text, err)
			}
			if back != s {
				t.Fatalf("Parse(%q) = %s, want %s", text, back, s)
			}
		}
	})
}

// FuzzParse: the parser never panics, and whatever it accepts formats and parses back to
// the same set.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"0-5460", "[0-1364],[5461-6826]", "5461", "0-6826 10923-12287", "", "5461-100", "16384", "0-10,5-20", "[1-2", "a-b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := slot.Parse(text)
		if err != nil {
			return
		}
		back, err := slot.Parse(s.String())
		if err != nil {
			t.Fatalf("Parse(%q) accepted, but its formatting %q is rejected: %v", text, s.String(), err)
		}
		if back != s {
			t.Fatalf("Parse(%q) = %s, which parses back to %s", text, s, back)
		}
	})
}
