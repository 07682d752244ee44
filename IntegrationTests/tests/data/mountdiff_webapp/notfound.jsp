<%@ page session="false" contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Error page for 404: marks a Tomcat 404 and names the node. --%>
<% out.print("tomcat-404 node=" + System.getProperty("jvm.route") + "\n"); %>
