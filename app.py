"""RMSProp Lab: minimal first page (the dashboard replaces it)."""

import plotly.graph_objects as go
import streamlit as st

from rmsprop_core.lesson import lesson_output_lines, run_lesson

st.set_page_config(page_title="RMSProp Lab", layout="wide")
st.title("RMSProp Lab")
trajectory = run_lesson()
st.code("\n".join(lesson_output_lines(trajectory)))
figure = go.Figure(go.Scatter(x=trajectory.points[:, 0], y=trajectory.points[:, 1], mode="lines+markers"))
st.plotly_chart(figure)
