"""The short explanations the dashboard shows next to its measures."""

CLEAN_VS_RAW = (
    "**Raw** visits are the counts as the sensors reported them: a failed or missing hour "
    "counts nothing, an anomalous reading counts as reported. **Clean** visits replace "
    "failed, anomalous and missing open hours with the sensor's expected value (the median of "
    "its readings at the same weekday and hour over the previous 4 weeks); closed hours "
    "count 0."
)
MEASURE_HELP = (
    "Clean: failed, anomalous and missing open hours replaced by the expected value. "
    "Raw: the counts as reported."
)
TRENDS = (
    "**4-week average**: the mean of a day and the same weekday of the 3 weeks before "
    "(days absent from the data are left out). **Week over week**: the change from the "
    "same weekday one week earlier. **Deviation**: how far a day is from its 4-week "
    "average. All three use clean visits; they are empty when there is nothing to compare "
    "with (Sundays, closed days)."
)
QUALITY = (
    "An open sensor-hour is **ok** when its reading was used as is; it is **failed** when "
    "the sensor reported an error (-1), **anomalous** when the reading was far from the "
    "expected value (below 50 % or above 300 % of it), **missing** when the sensor said "
    "nothing. **Data quality** is the share of ok open sensor-hours."
)
